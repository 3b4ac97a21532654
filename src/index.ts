export * from './pull-through-cache';
export * from './pull-through-cache-secret';
export * from './repository-template';
export * from './upstream-registry';
export * from './image-reference';
