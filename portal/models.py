"""Import every feature's models so SQLAlchemy metadata and Alembic see all tables."""

from .accounts.models import User, UserRole
from .applications.models import Application, Award, Education, Exclusion, Position, Profile, Project, Referee, Work
from .audit.models import AuditEntry
from .decisions.models import Appeal, Decision, DecisionSession, Notice, NoticeItem, Objection
from .letters.models import Letter, LetterJob, LetterTemplate
from .notifications.models import OutboxMessage
from .programs.models import Call, Discipline, Program, Unit
from .reviews.models import Assignment, DeclaredConflict, Evaluation, EvaluationScheme, ExpertProfile, UnitReview
from .storage import Document
