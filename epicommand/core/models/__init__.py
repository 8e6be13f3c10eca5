from .accounts import User
from .audit import AuditEvent
from .jobs import Job
from .organizations import Organization
from .places import Place
from .policies import PolicyVersion

__all__ = ["AuditEvent", "Job", "Organization", "Place", "PolicyVersion", "User"]
