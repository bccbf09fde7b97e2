"""Conv as a matrix: C vec(x) = conv2d(x), C^T vec(y) = conv_transpose2d(y), and the input gradient."""
import pytest
import torch
import torch.nn.functional as F

from deepnotes.nn import conv2d_matrix


@pytest.mark.syllabus("cnn.conv_as_matrix")
def test_conv_matrix_4x16_and_transpose():
    torch.manual_seed(0)
    k = torch.randn(3, 3, dtype=torch.float64)
    C = conv2d_matrix(k, (4, 4))
    assert C.shape == (4, 16)
    assert int((C != 0).sum()) == 4 * 9                           # banded: 9 taps per row
    x = torch.randn(4, 4, dtype=torch.float64)
    torch.testing.assert_close(C @ x.flatten(), F.conv2d(x[None, None], k[None, None]).flatten(), atol=1e-6, rtol=0)
    y = torch.randn(2, 2, dtype=torch.float64)
    torch.testing.assert_close(C.T @ y.flatten(), F.conv_transpose2d(y[None, None], k[None, None]).flatten(),
                               atol=1e-6, rtol=0)


@pytest.mark.syllabus("cnn.conv_as_matrix")
def test_multichannel_strided_padded_and_gradient_is_transposed_conv():
    torch.manual_seed(1)
    w = torch.randn(3, 2, 3, 3, dtype=torch.float64)
    x = torch.randn(1, 2, 6, 5, dtype=torch.float64, requires_grad=True)
    C = conv2d_matrix(w, (6, 5), stride=2, padding=1)
    y = F.conv2d(x, w, stride=2, padding=1)
    torch.testing.assert_close(C @ x.detach().flatten(), y.detach().flatten())
    g = torch.randn_like(y)
    (grad,) = torch.autograd.grad(y, x, g)
    torch.testing.assert_close(grad.flatten(), C.T @ g.flatten())
    torch.testing.assert_close(grad, F.conv_transpose2d(g, w, stride=2, padding=1, output_padding=(1, 0)))
