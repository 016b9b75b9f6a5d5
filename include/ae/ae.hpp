#pragma once
// ae: header-only C++20 autoencoders. The one header users include.
#include "ae/core/activation.hpp"
#include "ae/core/config.hpp"
#include "ae/core/error.hpp"
#include "ae/core/initializer.hpp"
#include "ae/core/layer.hpp"
#include "ae/core/matrix.hpp"
#include "ae/core/param.hpp"
#include "ae/core/rng.hpp"
#include "ae/core/shape.hpp"
#include "ae/core/threads.hpp"

#include "ae/data/idx.hpp"
#include "ae/data/mnist.hpp"

#include "ae/io/image.hpp"
#include "ae/io/model_file.hpp"
#include "ae/io/plot.hpp"

#include "ae/layers/activation.hpp"
#include "ae/layers/dense.hpp"

#include "ae/losses/binary_cross_entropy.hpp"
#include "ae/losses/categorical_cross_entropy.hpp"
#include "ae/losses/mse.hpp"

#include "ae/optimizers/adagrad.hpp"
#include "ae/optimizers/adam.hpp"
#include "ae/optimizers/adamw.hpp"
#include "ae/optimizers/nadam.hpp"
#include "ae/optimizers/rmsprop.hpp"
#include "ae/optimizers/sgd.hpp"

#include "ae/models/autoencoder.hpp"
#include "ae/models/recipes.hpp"
#include "ae/models/registry.hpp"
#include "ae/models/sequential.hpp"
#include "ae/training/callbacks.hpp"
#include "ae/training/fit.hpp"
