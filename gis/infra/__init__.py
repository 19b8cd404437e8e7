"""What the domain packages stand on: settings, the embedded PostGIS cluster, engines and
transactions, the ORM models, the Alembic migrations and the job runner. No domain rules here."""
