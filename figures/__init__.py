"""Figures for the district health office (design §7): queries, charts, exports."""
