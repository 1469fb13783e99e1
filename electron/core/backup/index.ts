export * from './words';
export * from './share';
export * from './envelope';
export * from './backup-file';
export * from './explain';
