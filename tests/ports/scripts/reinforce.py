"""REINFORCE on a tiny chain environment: a policy network, Categorical sampling,
log_prob, discounted returns normalised, and the policy-gradient loss."""

import numpy as np

import autograd as torch
import autograd.nn as nn
import autograd.nn.functional as F
import autograd.optim as optim
from autograd.distributions import Categorical


class ChainEnv:
    """Walk along a chain of ``n`` cells; reaching the right end pays 1, each step costs 0.01."""

    def __init__(self, n=6, max_steps=20, seed=0):
        self.n = n
        self.max_steps = max_steps
        self.rng = np.random.default_rng(seed)

    def reset(self):
        self.pos = 0
        self.t = 0
        return self._obs()

    def _obs(self):
        obs = np.zeros(self.n, dtype=np.float32)
        obs[self.pos] = 1.0
        return obs

    def step(self, action):
        self.pos = max(0, self.pos - 1) if action == 0 else self.pos + 1
        self.t += 1
        done = self.pos == self.n - 1 or self.t >= self.max_steps
        reward = 1.0 if self.pos == self.n - 1 else -0.01
        return self._obs(), reward, done


class Policy(nn.Module):
    def __init__(self, n_obs, n_actions):
        super().__init__()
        self.affine1 = nn.Linear(n_obs, 32)
        self.affine2 = nn.Linear(32, n_actions)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


env = ChainEnv()
torch.manual_seed(543)
policy = Policy(env.n, 2)
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
eps = np.finfo(np.float32).eps.item()
gamma = 0.99


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode():
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]


# "losses" here are episode lengths: the agent learns to walk right in fewer steps
losses = []
running_length = env.max_steps
for i_episode in range(1, 61):
    state = env.reset()
    for t in range(1, env.max_steps + 1):
        action = select_action(state)
        state, reward, done = env.step(action)
        policy.rewards.append(reward)
        if done:
            break
    running_length = 0.9 * running_length + 0.1 * t
    losses.append(t)
    finish_episode()
    if i_episode % 20 == 0:
        print(f"Episode {i_episode}\tLast length: {t:5d}\tAverage length: {running_length:.2f}")
