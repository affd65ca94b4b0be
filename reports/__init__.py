"""Packet rendering: Jinja2 templates and the pure render function."""

from reports.render import RenderedPacket, render_packet, subject_line

__all__ = ["RenderedPacket", "render_packet", "subject_line"]
