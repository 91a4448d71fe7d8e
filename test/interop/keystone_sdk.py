"""openstacksdk through Keystone: password auth from OS_* variables, the image endpoint from
the catalog (no endpoint override). Prints observations as JSON; the TypeScript test asserts.

usage: keystone_sdk.py FILE            as the user of the OS_* environment (alice in alpha)
       keystone_sdk.py --probe ID      only the isolation probes (run as bob in beta)
"""
import hashlib
import json
import sys

import openstack
from sdk_steps import recorder

obs = {}


step = recorder(obs)


def view(img):
    keys = ('id', 'name', 'status', 'visibility', 'size', 'checksum', 'disk_format',
            'container_format', 'owner_id')
    return {k: getattr(img, k) for k in keys}


conn = openstack.connect()  # the "envvars" cloud: OS_AUTH_URL, OS_USERNAME, ...
step('endpoint', lambda: conn.image.get_endpoint())
step('project', lambda: conn.current_project_id)

if sys.argv[1] == '--probe':
    iid = sys.argv[2]
    step('get', lambda: view(conn.image.get_image(iid)))
    step('list', lambda: [i.id for i in conn.image.images()])
    step('delete', lambda: conn.image.delete_image(iid, ignore_missing=False) and None)
else:
    filename = sys.argv[1]
    holder = {}

    def create():
        img = conn.image.create_image(
            'ks-sdk-img', filename=filename, disk_format='raw', container_format='bare',
            visibility='private', allow_duplicates=True, validate_checksum=True, wait=True)
        holder['id'] = img.id
        return view(conn.image.get_image(img.id))

    step('create', create)
    iid = holder.get('id')
    step('list', lambda: [i.id for i in conn.image.images()])
    step('update', lambda: view(conn.image.update_image(iid, min_ram=64)))
    step('download', lambda: hashlib.md5(conn.image.download_image(iid).content).hexdigest())
print(json.dumps(obs))
