export const apply = function(p,a,c,k,e,d){ return p(a, c, k, e, d); };
