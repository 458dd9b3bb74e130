"""A variational autoencoder with torch.distributions: Normal, rsample and kl_divergence."""

import autograd as torch
from autograd import nn, optim
from autograd.distributions import Normal, kl_divergence
from autograd.nn import functional as F
from autograd.utils.data import DataLoader, TensorDataset


class VAE(nn.Module):
    def __init__(self, in_dim=16, hidden=32, latent=2):
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden)
        self.fc_mu = nn.Linear(hidden, latent)
        self.fc_logvar = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, in_dim)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x)
        q = Normal(mu, torch.exp(0.5 * logvar))
        z = q.rsample()
        return self.decode(z), q


def loss_function(recon_x, x, q):
    bce = F.binary_cross_entropy(recon_x, x, reduction="sum")
    prior = Normal(torch.zeros_like(q.loc), torch.ones_like(q.scale))
    kld = kl_divergence(q, prior).sum()
    return bce + kld


torch.manual_seed(0)
# binary "images": two prototypes with bits flipped at random
protos = (torch.rand(2, 16) > 0.5).float()
idx = torch.randint(0, 2, (256,))
flip = (torch.rand(256, 16) < 0.05).float()
data = (protos[idx] - flip).abs()

loader = DataLoader(TensorDataset(data), batch_size=32, shuffle=True)
model = VAE()
optimizer = optim.Adam(model.parameters(), lr=1e-2)
losses = []
for epoch in range(1, 6):
    model.train()
    train_loss = 0
    for (x,) in loader:
        optimizer.zero_grad()
        recon, q = model(x)
        loss = loss_function(recon, x, q)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
    losses.append(train_loss / len(loader.dataset))
    print(f"====> Epoch: {epoch} Average loss: {losses[-1]:.4f}")

model.eval()
with torch.no_grad():
    sample = model.decode(torch.randn(4, 2))
    print(sample.shape)
