from .wsol_classifier import WSOLClassifier

__all__ = ['WSOLClassifier']
