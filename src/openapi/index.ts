export * from './schemas';
export * from './version';
export * from './operation';
export * from './document';
export * from './export';
