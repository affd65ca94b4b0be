"""Department packets: what each head sees (briefing), the archive, and delivery through the outbox."""
