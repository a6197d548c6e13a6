// Billing API services (REST /api/v1 for WHMCS-style modules).
export * from './customers';
export * from './create';
export * from './idempotency';
export * from './suspension';
export * from './ves';
export * from './validate';
