"""A local Monnify: the API paths, envelopes, field names and formats of MONNIFY.md, a control
API (``/sandbox/...``, API.md) to play the customer's bank and Monnify's back office, and a
webhook sender that signs like Monnify. Standalone: stdlib WSGI server, state in memory, no
Django models. Run it with ``python manage.py monnify_sandbox --port 9000``; tests start
``SandboxServer`` in-process on a free port.
"""

from .server import SandboxServer
from .signing import compact_body, sign_body

__all__ = ["SandboxServer", "compact_body", "sign_body"]
