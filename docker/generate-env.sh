#!/bin/sh
# Writes .env for docker-compose.yml from .env.example, with a fresh secrets key, admin token and passwords.
# Refuses to overwrite an existing .env: its secrets key decrypts the source passwords already stored.
set -eu
cd "$(dirname "$0")/.."
if [ -e .env ]; then
  echo ".env exists; not overwriting it (its RECALL_SECRETS_KEY decrypts stored source passwords)" >&2
  exit 1
fi
command -v openssl >/dev/null 2>&1 || { echo "openssl is needed to generate secrets" >&2; exit 1; }
umask 077
key=$(openssl rand -base64 32)
token=$(openssl rand -hex 32)
metadata=$(openssl rand -hex 24)
minio=$(openssl rand -hex 24)
s3=$(openssl rand -hex 24)
sed -e "s|^RECALL_SECRETS_KEY=.*|RECALL_SECRETS_KEY=$key|" \
    -e "s|^RECALL_ADMIN_TOKEN=.*|RECALL_ADMIN_TOKEN=$token|" \
    -e "s|^RECALL_METADATA_PASSWORD=.*|RECALL_METADATA_PASSWORD=$metadata|" \
    -e "s|^MINIO_ROOT_PASSWORD=.*|MINIO_ROOT_PASSWORD=$minio|" \
    -e "s|^RECALL_S3_SECRET_KEY=.*|RECALL_S3_SECRET_KEY=$s3|" \
    .env.example > .env
echo "wrote .env (owner-only); the admin API token is RECALL_ADMIN_TOKEN in it"
