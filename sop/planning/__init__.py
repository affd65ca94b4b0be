"""Planning: the period's plan, budget, finished-goods and material balance, procurement signals, plan rows in the warehouse."""
