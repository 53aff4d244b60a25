export { startIngress, type Ingress } from "./ingress";
export { createOperatorApp, MAX_BODY_BYTES, METHOD_NOT_ALLOWED } from "./operator-app";
export { createAdminApp, tokenMatches } from "./admin-app";
