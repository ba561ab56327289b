"""Guideline quizzes: question selection with spaced repetition, and the quiz flow."""
