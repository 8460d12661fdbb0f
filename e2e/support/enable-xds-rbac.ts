/**
 * grpc-js-xds registers its RBAC HTTP filter only if GRPC_XDS_EXPERIMENTAL_RBAC=true when it loads:
 * import this module before anything that imports @grpc/grpc-js-xds (ES modules evaluate in import order).
 */
process.env.GRPC_XDS_EXPERIMENTAL_RBAC = 'true';
