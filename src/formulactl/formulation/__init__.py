"""Formula work: weighing sheets, cost roll-ups, substances against limits, declarations."""
