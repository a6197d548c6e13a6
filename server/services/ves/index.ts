// VEs: owner scoping, create/destroy/plan-change requests and the admin/customer VE queries.
export * from './scope';
export * from './validate';
export * from './ctid';
export * from './create';
export * from './list';
export * from './actions';
export { sha512Crypt } from './crypt';
export * from './requests';
