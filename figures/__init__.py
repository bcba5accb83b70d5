"""Figures for the district health office (design §7, issue 7): queries, charts, exports."""
