export * from './keys';
export * from './models';
export * from './delegation';
export * from './threshold';
