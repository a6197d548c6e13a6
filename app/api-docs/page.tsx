'use client';
import Script from 'next/script';
import Link from 'next/link';
import { useCallback, useEffect, useRef, useState } from 'react';

type SwaggerUIBundleFn = (opts: Record<string, unknown>) => unknown;
declare global { interface Window { SwaggerUIBundle?: SwaggerUIBundleFn } }

/**
 * Browsable docs of the billing REST API. Swagger UI is served from /swagger-ui (public/),
 * and validatorUrl is null so the page sends nothing outside this panel.
 */
export default function ApiDocsPage() {
  const [loaded, setLoaded] = useState(false);
  const mounted = useRef(false);
  const mount = useCallback(() => {
    if (!window.SwaggerUIBundle || mounted.current) return;
    mounted.current = true;
    window.SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#swagger', validatorUrl: null, deepLinking: true, tryItOutEnabled: false });
  }, []);
  // The script may already be cached from an earlier visit (client navigation).
  useEffect(() => { if (loaded || window.SwaggerUIBundle) mount(); }, [loaded, mount]);
  return (
    <div className="min-h-screen bg-white">
      <link rel="stylesheet" href="/swagger-ui/swagger-ui.css" />
      <header className="flex h-14 items-center gap-3 border-b border-slate-200 px-6">
        <img src="/favicon.svg" alt="" className="size-6" />
        <span className="font-semibold">vzpanel</span>
        <span className="text-slate-400">/</span>
        <span className="text-slate-600">Billing API</span>
        <a href="/api/v1/openapi.json" className="ml-auto text-sm text-indigo-600 hover:underline">openapi.json</a>
        <Link href="/admin" className="text-sm text-slate-500 hover:text-slate-700">Panel</Link>
      </header>
      <div id="swagger" data-testid="swagger" />
      <Script src="/swagger-ui/swagger-ui-bundle.js" strategy="afterInteractive" onLoad={() => setLoaded(true)} />
    </div>
  );
}
