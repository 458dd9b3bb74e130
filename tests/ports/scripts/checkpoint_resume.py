"""Save a training checkpoint (model, optimizer, epoch, loss) with torch.save, resume from it
in a fresh model and optimizer, and check that resuming continues the same trajectory."""

import os
import tempfile

import autograd as torch
import autograd.nn as nn
import autograd.optim as optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 16)
        self.bn = nn.BatchNorm1d(16)
        self.fc2 = nn.Linear(16, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


torch.manual_seed(0)
X = torch.randn(64, 5)
y = (X[:, :1] * 2 - X[:, 1:2]).sin()
loss_fn = nn.MSELoss()


def train_epochs(model, optimizer, epochs, losses):
    model.train()
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return loss


model = Net()
optimizer = optim.AdamW(model.parameters(), lr=0.01)
losses = []
loss = train_epochs(model, optimizer, 20, losses)

with tempfile.TemporaryDirectory() as tmp:
    PATH = os.path.join(tmp, "checkpoint.pt")
    torch.save(
        {
            "epoch": 20,
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "loss": loss.item(),
        },
        PATH,
    )

    # keep training the original for reference
    reference = []
    train_epochs(model, optimizer, 10, reference)

    # resume in fresh objects
    model2 = Net()
    optimizer2 = optim.AdamW(model2.parameters(), lr=0.01)
    checkpoint = torch.load(PATH, weights_only=True)
    model2.load_state_dict(checkpoint["model_state_dict"])
    optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
    epoch = checkpoint["epoch"]
    print(f"resumed at epoch {epoch}, loss {checkpoint['loss']:.4f}")

resumed = []
train_epochs(model2, optimizer2, 10, resumed)
for a, b in zip(reference, resumed):
    assert abs(a - b) <= 1e-5 * max(1.0, abs(a)), (a, b)
losses += resumed
print("losses", [round(v, 4) for v in losses[::5]])
