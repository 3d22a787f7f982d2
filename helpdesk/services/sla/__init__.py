"""SLA: stored policies, clocks kept in step with every change, sweeps and escalations."""
