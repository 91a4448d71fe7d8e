"""Shared by the openstacksdk scenario scripts: each step's outcome is recorded, never raised,
so the TypeScript test asserts every value (or the status and error) itself."""
from openstack import exceptions


def recorder(obs):
    def step(name, fn):
        try:
            obs[name] = {'ok': True, 'value': fn()}
        except exceptions.HttpException as e:
            obs[name] = {'ok': False, 'status': e.status_code, 'error': str(e)[:300]}
        except Exception as e:  # noqa: BLE001 - record, the test asserts
            # e.g. download_image raises InvalidResponse(response) on an error status
            status = getattr(getattr(e, 'response', None), 'status_code', None)
            obs[name] = {'ok': False, 'status': status, 'error': repr(e)[:300]}
    return step
