"""Import every feature's models so SQLAlchemy metadata and Alembic see all tables."""
from .accounts.models import User, UserRole  # noqa: F401
from .audit.models import AuditEntry  # noqa: F401
from .notifications.models import OutboxMessage  # noqa: F401
from .programs.models import Call, Discipline, Program, Unit  # noqa: F401
from .storage import Document  # noqa: F401
from .applications.models import (Application, Award, Education, Exclusion, Position,  # noqa: F401
                                  Profile, Project, Referee, Work)
from .reviews.models import (Assignment, DeclaredConflict, Evaluation, EvaluationScheme, ExpertProfile,  # noqa: F401
                             UnitReview)
from .decisions.models import Appeal, Decision, DecisionSession, Notice, NoticeItem, Objection  # noqa: F401
from .letters.models import Letter, LetterJob, LetterTemplate  # noqa: F401
