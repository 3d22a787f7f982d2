"""Work that moves itself: routing (round robin, least loaded, skills), triggers, time-based
automations and macros."""
