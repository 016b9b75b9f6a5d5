#pragma once
// Ready-made autoencoders of the classic chapter, each returning {encoder, decoder, autoencoder}.
#include "ae/models/recipes/contractive.hpp"
#include "ae/models/recipes/convolutional.hpp"
#include "ae/models/recipes/recurrent.hpp"
#include "ae/models/recipes/sparse.hpp"
#include "ae/models/recipes/tied.hpp"
#include "ae/models/recipes/variational.hpp"
#include "ae/models/recipes/vanilla.hpp"
