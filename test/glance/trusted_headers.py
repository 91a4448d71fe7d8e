"""Paste filter for glance.sh's noauth flavor: trust the identity headers of the proxy in front.

Glance's own `context` middleware builds a per-request context (project, user, roles → owner,
isolation, policy) from X-Project-Id / X-User-Id / X-Roles, but only when keystonemiddleware has
marked the request `X-Identity-Status: Confirmed`. Without keystonemiddleware nobody sets it, and
Glance's `unauthenticated-context` makes every caller an admin with no project. This filter plays
keystonemiddleware's part for a trusted proxy (the gateway in noauth mode): it marks the request
confirmed; a request carrying no identity at all runs as admin in project `admin`, like the
gateway's own noauth default. Only for 127.0.0.1 test servers.
"""

IDENTITY = ('HTTP_X_PROJECT_ID', 'HTTP_X_TENANT_ID', 'HTTP_X_USER_ID', 'HTTP_X_ROLES')


def factory(global_conf, **local_conf):
    def filt(app):
        def middleware(environ, start_response):
            if not any(environ.get(k) for k in IDENTITY):
                environ['HTTP_X_PROJECT_ID'] = 'admin'
                environ['HTTP_X_ROLES'] = 'admin'
            environ.setdefault('HTTP_X_ROLES', '')
            environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
            return app(environ, start_response)
        return middleware
    return filt
