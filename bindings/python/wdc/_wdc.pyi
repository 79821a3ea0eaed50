# Type stubs of the compiled module wdc._wdc (internal; the public API is the wdc package).
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import numpy.typing as npt

__version__: str
ABI_VERSION: int
LABEL_NAMES: Tuple[str, ...]
LABEL_SHORT_NAMES: Tuple[str, ...]
PATTERN_TYPES: Tuple[Tuple[str, str, Tuple[int, ...], int], ...]

class Classifier:
    @staticmethod
    def create(
        config_json: str, device: str, threads: int, limits: Dict[str, int] = ...
    ) -> Classifier: ...
    @staticmethod
    def load(
        path: str, device: str, threads: int, limits: Dict[str, int] = ...
    ) -> Classifier: ...
    @staticmethod
    def load_builtin(device: str, threads: int, limits: Dict[str, int] = ...) -> Classifier: ...
    def save(self, path: str) -> None: ...
    def predict(self, maps: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]: ...
    def cam(self, map: npt.NDArray[np.uint8], label: int) -> npt.NDArray[np.float32]: ...
    def train(
        self, train_json: str, callback: Optional[Callable[[Dict[str, Any]], Any]]
    ) -> str: ...
    def evaluate(self, maps: npt.NDArray[np.uint8], labels: npt.NDArray[np.uint8]) -> str: ...
    def evaluate_file(self, path: str) -> str: ...
    def info(self) -> str: ...
    @property
    def num_labels(self) -> int: ...
    @property
    def label_names(self) -> List[str]: ...
    @property
    def input_height(self) -> int: ...
    @property
    def input_width(self) -> int: ...

def load_npz(path: str) -> Tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]: ...
def save_npz(
    path: str, maps: npt.NDArray[np.uint8], labels: npt.NDArray[np.uint8], compressed: bool
) -> None: ...
def synth(count: int, seed: int) -> Tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]: ...
def synth_type(
    type: int, seed: int, count: int
) -> Tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]: ...
def deform_conv2d(
    input: np.ndarray,
    offset: np.ndarray,
    weight: np.ndarray,
    bias: Optional[np.ndarray],
    mask: Optional[np.ndarray],
    stride: Tuple[int, int],
    padding: Tuple[int, int],
    dilation: Tuple[int, int],
    groups: int,
    offset_groups: int,
) -> np.ndarray: ...
def deform_conv2d_backward(
    grad_output: np.ndarray,
    input: np.ndarray,
    offset: np.ndarray,
    weight: np.ndarray,
    bias: Optional[np.ndarray],
    mask: Optional[np.ndarray],
    stride: Tuple[int, int],
    padding: Tuple[int, int],
    dilation: Tuple[int, int],
    groups: int,
    offset_groups: int,
) -> Dict[str, Optional[np.ndarray]]: ...
