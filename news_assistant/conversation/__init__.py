"""Conversations: follow-up questions, saved chats and their export."""
