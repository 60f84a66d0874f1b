"""Several instances on one database: the chat of each inbox row, the instance sending each outbox row, the live
instances, who works for which chat, and the shared conversation memory (issue 15).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 22:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('instances',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('leases',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('instance', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('memory',
    sa.Column('person_hash', sa.String(length=64), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('person_hash', 'field')
    )
    op.create_index(op.f('ix_memory_updated_at'), 'memory', ['updated_at'], unique=False)
    with op.batch_alter_table('inbox') as batch:
        batch.add_column(sa.Column('chat_id', sa.BigInteger(), nullable=True))
        batch.create_index(batch.f('ix_inbox_chat_id'), ['chat_id'], unique=False)
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('instance', sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('instance')
    with op.batch_alter_table('inbox') as batch:
        batch.drop_index(batch.f('ix_inbox_chat_id'))
        batch.drop_column('chat_id')
    op.drop_index(op.f('ix_memory_updated_at'), table_name='memory')
    op.drop_table('memory')
    op.drop_table('leases')
    op.drop_table('instances')
