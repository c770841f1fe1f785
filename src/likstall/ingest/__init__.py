"""Read export files, validate them in SQL, pseudonymise person keys and load them in one transaction."""
