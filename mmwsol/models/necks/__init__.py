"""Spatial necks (they keep feature maps spatial for the CAM heads)."""
