"""openstacksdk 0.101 image v2 scenario against the gateway; prints observations as JSON.

usage: sdk_scenario.py URL FILE MEMBER_PROJECT
Every step's outcome is recorded (errors as their HTTP status) so the TypeScript test asserts
the values. Member-side calls use a second Connection whose keystoneauth session carries the
gateway's noauth identity headers (additional_headers). With Keystone: GG_AS_TOKEN is the admin's
token and GG_MEMBER_TOKEN the member project's; the member connection then sends that token.
"""
import hashlib
import json
import os
import sys

import openstack
from sdk_steps import recorder

url, filename, member = sys.argv[1:4]
obs = {}


def connect(headers=None, token=None):
    conn = openstack.connection.Connection(
        auth_type='admin_token', auth={'endpoint': url + '/v2', 'token': token or 'noauth-token'},
        image_api_version='2')
    if headers:
        conn.session.additional_headers.update(headers)
    return conn


step = recorder(obs)


def view(img):
    keys = ('id', 'name', 'status', 'visibility', 'size', 'checksum', 'hash_algo', 'hash_value',
            'disk_format', 'container_format', 'owner_id', 'min_ram', 'is_protected')
    d = {k: getattr(img, k) for k in keys}
    d['tags'] = sorted(img.tags or [])
    d['properties'] = {k: v for k, v in (img.properties or {}).items()}
    return d


def digest(data):
    data = getattr(data, 'content', data)  # download_image returns a requests.Response
    return {'size': len(data), 'md5': hashlib.md5(data).hexdigest(),
            'sha512': hashlib.sha512(data).hexdigest()}


admin = connect(token=os.environ.get('GG_AS_TOKEN'))
if os.environ.get('GG_MEMBER_TOKEN'):
    as_member = connect(token=os.environ['GG_MEMBER_TOKEN'])
else:
    as_member = connect({'X-Project-Id': member, 'X-User-Id': 'u-' + member, 'X-Roles': 'member'})
holder = {}


def create():
    img = admin.image.create_image(
        'sdk-img', filename=filename, disk_format='raw', container_format='bare',
        tags=['sdk', 'alpha'], allow_duplicates=True, validate_checksum=True, wait=True,
        build='7')
    holder['id'] = img.id
    return view(admin.image.get_image(img.id))


step('create', create)
iid = holder.get('id')
step('list_tag', lambda: [i.id for i in admin.image.images(tag='sdk')])
step('list_name', lambda: [i.id for i in admin.image.images(name='sdk-img')])
step('list_status', lambda: [i.id for i in admin.image.images(status='active')])
step('list_queued', lambda: [i.id for i in admin.image.images(status='queued')])
step('update', lambda: view(admin.image.update_image(iid, build='8', extra='x', min_ram=64)))
step('add_tag', lambda: admin.image.add_tag(iid, 'gamma') and None)
step('remove_tag', lambda: admin.image.remove_tag(iid, 'alpha') and None)
step('after_tags', lambda: view(admin.image.get_image(iid))['tags'])
step('download', lambda: digest(admin.image.download_image(iid)))
step('member_add', lambda: admin.image.add_member(iid, member_id=member).status)
step('member_list_pending', lambda: [(m.member_id, m.status) for m in admin.image.members(iid)])
step('member_side_list_before', lambda: [i.id for i in as_member.image.images()])
step('member_accept', lambda: as_member.image.update_member(member, iid, status='accepted').status)
step('member_side_list_after', lambda: [i.id for i in as_member.image.images()])
step('member_list_accepted', lambda: [(m.member_id, m.status) for m in admin.image.members(iid)])
step('deactivate', lambda: admin.image.deactivate_image(iid) and None)
step('status_deactivated', lambda: admin.image.get_image(iid).status)
step('member_download_deactivated', lambda: digest(as_member.image.download_image(iid)))
# download_image turns the refusal into a generic SDK error; record the wire status too.
step('member_download_deactivated_http',
     lambda: as_member.image.get('/images/%s/file' % iid, raise_exc=False).status_code)
step('admin_download_deactivated', lambda: digest(admin.image.download_image(iid)))
step('reactivate', lambda: admin.image.reactivate_image(iid) and None)
step('status_reactivated', lambda: admin.image.get_image(iid).status)
step('member_download', lambda: digest(as_member.image.download_image(iid)))
step('delete', lambda: admin.image.delete_image(iid, ignore_missing=False) and None)
step('get_deleted', lambda: view(admin.image.get_image(iid)))
print(json.dumps(obs))
