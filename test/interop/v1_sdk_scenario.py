"""openstacksdk 0.101 image **v1** proxy scenario against the gateway; prints observations as JSON.

usage: v1_sdk_scenario.py URL FILE TAG   (GG_AS_TOKEN: the token to send; default a noauth dummy)
Drives the calls of spec v1 section 8.4 (create_image without and with data, find_image,
update_image, images, download_image, delete_image). Every step's outcome is recorded (errors
as their HTTP status) so the TypeScript test asserts the values.
"""
import hashlib
import json
import os
import sys

import openstack
from sdk_steps import recorder

url, filename, tag = sys.argv[1:4]
obs = {}
conn = openstack.connection.Connection(
    auth_type='admin_token', auth={'endpoint': url + '/v1', 'token': os.environ.get('GG_AS_TOKEN', 'noauth-token')},
    image_api_version='1')
image = conn.image


step = recorder(obs)


def view(img):
    """The v1 Image resource (or the munch create_image returns with data) as plain JSON."""
    if img is None:
        return None
    get = img.get if isinstance(img, dict) else (lambda k, d=None: getattr(img, k, d))
    keys = ('id', 'name', 'status', 'size', 'checksum', 'disk_format', 'container_format',
            'min_ram', 'min_disk', 'is_public', 'owner')
    d = {k: get(k) for k in keys}
    d['properties'] = dict(get('properties') or {})
    return d


def digest(data):
    data = getattr(data, 'content', data)  # download_image returns a requests.Response
    return {'size': len(data), 'md5': hashlib.md5(data).hexdigest()}


ids = {}
reserve_name = 'sdk1-reserve-' + tag
upload_name = 'sdk1-upload-' + tag
renamed = 'sdk1-renamed-' + tag


def create():
    img = image.create_image(
        reserve_name, disk_format='qcow2', container_format='bare', allow_duplicates=True,
        purpose='reserve', min_ram=32)
    ids['reserve'] = img.id
    return view(img)


def upload():
    img = image.create_image(
        upload_name, filename=filename, disk_format='raw', container_format='bare',
        allow_duplicates=True, stage='upload')
    ids['upload'] = img['id']
    return view(img)


step('create', create)
step('upload', upload)
step('find_by_name', lambda: view(image.find_image(upload_name)))
# Real v1: GET /v1/images/{id} of an active image returns the data, so the SDK gets an Image
# with only its id; of a queued image it is 404, and the name search misses (spec v1 8.4).
step('find_active_by_id', lambda: (image.find_image(ids['upload']) or {}).id)
step('find_queued_by_id', lambda: view(image.find_image(ids['reserve'])))
step('find_queued_by_name', lambda: view(image.find_image(reserve_name)))
step('update', lambda: view(image.update_image(ids['upload'], name=renamed)))
step('list', lambda: [view(i) for i in image.images()])
step('list_by_name', lambda: [i.id for i in image.images(name=renamed)])
step('list_by_status', lambda: sorted(i.id for i in image.images(status='queued')))
step('download', lambda: digest(image.download_image(ids['upload'])))


def download_to_file():
    out = filename + '.sdk-download'
    image.download_image(ids['upload'], output=out)
    with open(out, 'rb') as f:
        result = digest(f.read())
    os.unlink(out)
    return result


step('download_output', download_to_file)
step('delete_upload', lambda: image.delete_image(ids['upload'], ignore_missing=False))
step('delete_reserve', lambda: image.delete_image(ids['reserve'], ignore_missing=False))
step('delete_again', lambda: image.delete_image(ids['upload'], ignore_missing=False))
step('delete_again_ignored', lambda: image.delete_image(ids['upload'], ignore_missing=True))
step('find_after_delete', lambda: view(image.find_image(renamed)))
step('list_after_delete', lambda: [i.id for i in image.images()])

print(json.dumps({'ids': ids, 'obs': obs}))
