import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { appRouter } from './root';

export const REST_BASE = '/api/v1';

let cached: OpenAPIObject | undefined;

/** The OpenAPI 3.1 document of the billing REST API (procedures with `meta.openapi`). */
export function openApiDocument(): OpenAPIObject {
  cached ??= generateOpenApiDocument(appRouter, {
    title: 'vzpanel billing API',
    description: 'REST API for billing systems. Authenticate with `Authorization: Bearer vzk_…` (an API key created by an admin); each operation names the scope it needs.',
    version: '1.0.0',
    baseUrl: REST_BASE,
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'vzpanel API key (vzk_…)' } },
  });
  return cached;
}
