"""The actions' access to the handover record. A storage failure never breaks the conversation:
it is logged and the person still gets an answer."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import settings
from bot.store import db

logger = logging.getLogger(__name__)

@contextmanager
def dossier_session() -> Iterator[Session]:
    """A session committed at the end; errors are logged, not raised."""
    try:
        with db.session(settings.database_url()) as session:
            yield session
            session.commit()
    except SQLAlchemyError:
        logger.exception("could not write the dossier")
