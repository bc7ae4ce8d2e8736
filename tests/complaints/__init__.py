"""Requests (民情诉求): transcripts, the state graph, jobs, concurrency."""
