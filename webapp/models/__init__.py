"""Every model, imported here so that metadata (and Alembic) sees the whole schema."""

from webapp.models.account import Account
from webapp.models.base import Base
from webapp.models.cart import CartItem
from webapp.models.event import Event
from webapp.models.idempotency import IdempotencyKey
from webapp.models.ledger import LedgerEntry, LedgerTransaction
from webapp.models.mail import OutboxMail
from webapp.models.order import Order, OrderItem
from webapp.models.payment_request import PaymentRequest
from webapp.models.product import Product
from webapp.models.security import LinkToken, PersonalAccessToken, RecoveryCode
from webapp.models.user import AuthSession, RefreshToken, User, UserRole

__all__ = [
    "Account",
    "AuthSession",
    "Base",
    "CartItem",
    "Event",
    "IdempotencyKey",
    "LedgerEntry",
    "LedgerTransaction",
    "LinkToken",
    "Order",
    "OrderItem",
    "OutboxMail",
    "PaymentRequest",
    "PersonalAccessToken",
    "Product",
    "RecoveryCode",
    "RefreshToken",
    "User",
    "UserRole",
]
