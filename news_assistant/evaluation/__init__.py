"""Measuring the whole flow on fixed question sets: metric functions, runs over a retriever, and
the tables and charts that report them."""
