#!/usr/bin/env bash
# The daily backup of Guichet's database, run by guichet-backup.service (its timer) or cron, with the bot's
# environment (DATABASE_URL): `guichet db backup` to $BACKUP_DIR/guichet-YYYY-MM-DD.dump (PostgreSQL) or
# .sqlite3 (SQLite), then only the newest $KEEP backups are kept. Exits non-zero when the backup failed; the older
# backups are then left as they are.
#   GUICHET_BIN  the guichet command   (default /opt/guichet/.venv/bin/guichet)
#   BACKUP_DIR   where backups go      (default /var/backups/guichet)
#   KEEP         how many to keep      (default 14)
set -euo pipefail
GUICHET_BIN=${GUICHET_BIN:-/opt/guichet/.venv/bin/guichet}
BACKUP_DIR=${BACKUP_DIR:-/var/backups/guichet}
KEEP=${KEEP:-14}
umask 077

if ! [[ "$KEEP" =~ ^[1-9][0-9]*$ ]]; then
  echo "backup.sh: KEEP must be a number above 0, not '$KEEP'" >&2
  exit 2
fi
case "${DATABASE_URL:-}" in
  postgres*) extension=dump ;;
  *) extension=sqlite3 ;;  # unset: guichet's default SQLite file
esac
mkdir -p "$BACKUP_DIR"

"$GUICHET_BIN" db backup "$BACKUP_DIR/guichet-$(date +%F).$extension"

# the newest $KEEP by name (the date sorts), of either kind; nothing else in the folder is touched
shopt -s nullglob
backups=("$BACKUP_DIR"/guichet-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].dump "$BACKUP_DIR"/guichet-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].sqlite3)
if [ "${#backups[@]}" -gt "$KEEP" ]; then
  mapfile -t old < <(printf '%s\n' "${backups[@]}" | sort | head -n "-$KEEP")
  rm -f -- "${old[@]}"
  echo "removed ${#old[@]} old backup(s), kept $KEEP"
fi
