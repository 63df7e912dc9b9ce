"""What the portal keeps of its own: the counts its request form's rate limits read."""

from datetime import datetime

from sqlalchemy import Integer, String
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime


class PortalThrottle(SQLModel, table=True):
    """Uses of the request form in the current window, per stakeholder (`stakeholder:<id>`:
    all their links alike) and per client address (`address:<address>`); in the database,
    so every server process counts the same ones (app/core/throttle.py)."""

    __tablename__ = "portal_throttle"

    key: str = Field(sa_type=String(80), primary_key=True)
    attempts: int = Field(sa_type=Integer)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
