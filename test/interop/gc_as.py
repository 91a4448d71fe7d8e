"""Runs one python-glanceclient (v2 library) call as a given project.

The glance CLI cannot send identity headers, and in the gateway's noauth mode the caller's
project comes from X-Project-Id / X-Roles. glanceclient's HTTPClient takes `identity_headers`
and sends them on every request, so member-side steps still go through real glanceclient code.

usage: gc_as.py URL PROJECT ROLES OP [ARGS...]
With GG_AS_TOKEN set (a Keystone token of that project), that token is sent instead of the headers.
prints one JSON line: {"ok": true, "result": ...} or {"ok": false, "status": N, "error": "..."}
"""
import hashlib
import json
import os
import sys

import glanceclient
from glanceclient import exc


def main():
    url, project, roles, op, *args = sys.argv[1:]
    token = os.environ.get('GG_AS_TOKEN')
    if token:
        gc = glanceclient.Client('2', endpoint=url, token=token)
    else:
        headers = {'X-Project-Id': project, 'X-User-Id': 'user-' + project, 'X-Roles': roles}
        gc = glanceclient.Client('2', endpoint=url, token='noauth-token', identity_headers=headers)
    try:
        if op == 'member-update':
            image_id, member_id, status = args
            m = gc.image_members.update(image_id, member_id, status)
            result = {k: m[k] for k in ('image_id', 'member_id', 'status')}
        elif op == 'member-list':
            result = [{k: m[k] for k in ('image_id', 'member_id', 'status')}
                      for m in gc.image_members.list(args[0])]
        elif op == 'image-list':
            filters = dict(a.split('=', 1) for a in args)
            result = [img['id'] for img in gc.images.list(filters=filters)]
        elif op == 'image-show':
            img = gc.images.get(args[0])
            result = {'id': img['id'], 'status': img['status'], 'owner': img['owner']}
        elif op == 'download':
            body = gc.images.data(args[0])
            h5, h512, n = hashlib.md5(), hashlib.sha512(), 0
            for chunk in body:
                h5.update(chunk)
                h512.update(chunk)
                n += len(chunk)
            result = {'size': n, 'md5': h5.hexdigest(), 'sha512': h512.hexdigest()}
        else:
            raise SystemExit('unknown op ' + op)
        print(json.dumps({'ok': True, 'result': result}))
    except exc.HTTPException as e:
        print(json.dumps({'ok': False, 'status': e.code, 'error': str(e)}))


main()
