"""A stand-in model for localizer tests: features in, fixed class weights."""

import torch


class StubHead(torch.nn.Module):
    """The two methods CAM-style localizers read from a head."""

    def __init__(self, weights: torch.Tensor):
        super().__init__()
        self.w = weights

    def cam_features(self, feats):
        return feats[-1]

    def class_weights(self) -> torch.Tensor:
        return self.w


class StubModel(torch.nn.Module):
    """A model whose ``head`` gives ``weights`` as its class weights."""

    def __init__(self, weights: torch.Tensor):
        super().__init__()
        self.head = StubHead(weights)
