import type { PatternRule } from "./rule";

/** PatId3: more than min female customers, and fewer female than male ones. Merchant-level: customer "". */
export const deiNeeded: PatternRule = {
  patternId: "PatId3",
  actionType: "DEI-NEEDED",
  *matches(merchant, _touched, t) {
    if (merchant.femaleCustomers > t.deiMinFemaleCustomers && merchant.femaleCustomers < merchant.maleCustomers) yield "";
  },
  explain: (merchant) => ({ F: merchant.femaleCustomers, M: merchant.maleCustomers }),
};
