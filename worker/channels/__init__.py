"""Outside channels, each behind the same small interface (`base.Transport`)."""
